"""A chat node for the browser tests: it serves the room-management page
(/manage/), the browser chat (/chat/, /ws) and posted files on a port of its
own. One helper for test_manage, test_webchat and test_web_e2e."""

import os
import shutil
import tempfile

from kamailio import TOP, Kamailio
from mariadb import free_port

MANAGE_DIR = os.path.join(TOP, "web", "manage")
CHAT_DIR = os.path.join(TOP, "web", "chat")


def start_web_node(db_url, **defines):
    """The started Kamailio (stop it with stop_web_node); kam.file_port is the
    web port, kam.file_dir the files' directory. `defines` add to the cfg's."""
    fport = free_port()
    fdir = tempfile.mkdtemp(prefix="pchat-files-")
    d = {"PCHAT_FILE_PORT": str(fport), "PCHAT_FILE_DIR": fdir,
         "PCHAT_MANAGE_DIR": MANAGE_DIR, "PCHAT_CHAT_DIR": CHAT_DIR}
    d.update(defines)
    kam = Kamailio(free_port(), db_url, defines=d)
    kam.file_port, kam.file_dir = fport, fdir
    try:
        return kam.start()
    except BaseException:
        shutil.rmtree(fdir, ignore_errors=True)
        raise


def stop_web_node(kam):
    kam.cleanup()
    shutil.rmtree(kam.file_dir, ignore_errors=True)
