"""torch.backends.cuda: flags PyTorch programs set; XLA chooses its own matmul precision, so
they are recorded and have no effect."""
from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                         allow_bf16_reduced_precision_reduction=True)


def is_built():
    return False


def flash_sdp_enabled():
    return False


def enable_flash_sdp(enabled):
    pass
