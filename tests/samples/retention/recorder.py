"""How many objects the gc tracks before each test runs, written to the file named by RETENTION_OUT."""
import gc
import os

HELD = 200  # objects each test keeps on its instance: a worker that kept finished tests would grow by this much


def record() -> None:
    gc.collect()
    with open(os.environ["RETENTION_OUT"], "a") as out:
        out.write(f"{os.getpid()} {len(gc.get_objects())}\n")
