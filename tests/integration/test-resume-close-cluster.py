#!/usr/bin/python3
"""test-resume-close.py on a cluster: three chat-server nodes on one
redis-server (--redis), the clients spread round-robin over them, so the
session's holder and the connection that abandons its hello are on
different nodes."""

import os
import runpy

os.environ["CHAT_TEST_CLUSTER"] = "3"
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)),
    "test-resume-close.py"), run_name="__main__")
