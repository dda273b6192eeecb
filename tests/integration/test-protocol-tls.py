#!/usr/bin/python3
"""test-protocol.py once more, every client over wss:// (a certificate made
with openssl req at test time)."""

import os
import runpy

os.environ["CHAT_TEST_TLS"] = "1"
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)),
    "test-protocol.py"), run_name="__main__")
