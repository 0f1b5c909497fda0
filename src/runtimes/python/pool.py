"""Entry point of a pre-started Python runtime (Lambent's pool of function-agnostic sandboxes).

Started with no function, no code at /var/task and a minimal environment. It imports the modules
bootstrap.py uses and compiles bootstrap.py, then blocks on stdin until the platform assigns a
function: one JSON object {"env": {...}} with the function's complete environment, written after its
code, layers and /tmp were mounted. It then becomes what `python3 bootstrap.py` would have been with
that environment (os.environ, cwd, sys.path from PYTHONPATH, sys.argv) and runs bootstrap.py as
__main__, which reads its settings and loads the handler as a normal start does.

The platform only pools functions whose environment does not change how python itself starts
(PYTHON* other than PYTHONPATH, LD_*, LANG, ...): see poolEligible in src/invoke/launch.ts.
"""

import decimal  # noqa: F401  (bootstrap.py's imports, loaded ahead of time)
import json
import logging  # noqa: F401
import math  # noqa: F401
import os
import signal
import socket  # noqa: F401
import sys
import time  # noqa: F401
import traceback  # noqa: F401
import types

# Stopped while it waits (in os.read) or loads: end quietly, no KeyboardInterrupt traceback.
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)

_HERE = os.path.dirname(os.path.abspath(__file__))
_BOOTSTRAP = os.path.join(_HERE, "bootstrap.py")
with open(_BOOTSTRAP, "rb") as f:
    _CODE = compile(f.read(), _BOOTSTRAP, "exec")


def _assignment():
    chunks = []
    while True:
        chunk = os.read(0, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    data = b"".join(chunks)
    return json.loads(data) if data else None


# What python itself put in the environment at startup (PEP 538 locale coercion sets LC_CTYPE): the
# function's LANG and LC_* equal the pool's (launch.ts), so a normal start would have added the same.
_ADDED_AT_STARTUP = {k: v for k, v in os.environ.items() if k.startswith("LC_")}


def _become(env):
    os.environ.clear()
    os.environ.update({k: v for k, v in _ADDED_AT_STARTUP.items() if k not in env})
    os.environ.update(env)
    # The code was mounted over /var/task after this process chdir'ed there: enter the new one.
    os.chdir(env.get("LAMBDA_TASK_ROOT", "/var/task"))
    # PYTHONPATH is read when python starts: put its entries where startup would have.
    sys.path[1:1] = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.argv[0] = _BOOTSTRAP
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    except OSError:
        pass


def _run():
    # Tells the platform this runtime is loaded and waiting (before any function: no function sees it).
    os.write(1, b"lambent-pool-ready\n")
    assignment = _assignment()
    if assignment is None:
        sys.exit(0)  # the platform went away before assigning a function
    _become(assignment["env"])
    main = types.ModuleType("__main__")
    main.__file__ = _BOOTSTRAP
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    exec(_CODE, main.__dict__)


_run()
