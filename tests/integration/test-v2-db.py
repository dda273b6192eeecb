#!/usr/bin/python3
"""test-v2.py with the server on an SQLite database (--db)."""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
os.environ["CHAT_V2_DB"] = "1"
sys.path.insert(0, here)
sys.argv[0] = os.path.join(here, "test-v2.py")
with open(sys.argv[0]) as f:
	code = compile(f.read(), sys.argv[0], "exec")
exec(code)
