"""Run by path (not as part of the torchlike package) in each process the launcher starts:
starts JAX's distributed runtime from the launcher's environment before anything imports
JAX-using code, then runs the user's script or module as ``__main__``."""
import os
import runpy
import sys


def main():
    world = int(os.environ["WORLD_SIZE"])
    if world > 1:
        import jax
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        kw = {}
        if int(os.environ.get("LOCAL_WORLD_SIZE", "1")) > 1:
            kw["local_device_ids"] = [int(os.environ["LOCAL_RANK"])]  # one GPU per process
        jax.distributed.initialize(
            f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}", num_processes=world,
            process_id=int(os.environ["RANK"]),
            initialization_timeout=int(os.environ.get("TORCHLIKE_DIST_INIT_TIMEOUT", "300")),
            **kw)
    del sys.path[0]  # this file's folder; the script's comes next, as for `python script.py`
    if sys.argv[1] == "-m":
        sys.argv = sys.argv[2:]
        sys.path.insert(0, os.getcwd())
        runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = sys.argv[1:]
        sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
        runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
