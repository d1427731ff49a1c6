deterministic = False
benchmark = False
enabled = True


def is_available():
    return False
allow_tf32 = True
