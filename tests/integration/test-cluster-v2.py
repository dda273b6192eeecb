#!/usr/bin/python3
"""test-v2.py once more on a cluster: three chat-server nodes on one redis-server
(--redis), every test's clients spread round-robin over them."""

import os
import runpy

os.environ["CHAT_TEST_CLUSTER"] = "3"
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)),
    "test-v2.py"), run_name="__main__")
