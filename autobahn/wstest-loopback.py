# Python 2.7. Runs `wstest` with every listening socket bound to 127.0.0.1.
#
# wstest's fuzzingserver mode calls autobahn's listenWS() without an interface, so Twisted would listen on all
# interfaces. This wrapper binds it to loopback and otherwise behaves exactly like the `wstest` entry point:
#   $VENV/bin/python autobahn/wstest-loopback.py -m fuzzingserver -s spec.json -u 0
# It also exits when its parent process (run.mjs) is gone, so a killed driver leaves no wstest behind.
import os
import sys

from autobahntestsuite import wstest  # first: it installs the Twisted reactor
from autobahntestsuite import fuzzing
import autobahn.twisted.websocket as ws_twisted
from twisted.internet import task

_listen_ws = ws_twisted.listenWS


def listen_ws_loopback(factory, contextFactory=None, backlog=50, interface=''):
    return _listen_ws(factory, contextFactory, backlog, interface or '127.0.0.1')


ws_twisted.listenWS = listen_ws_loopback
fuzzing.listenWS = listen_ws_loopback

_parent = os.getppid()


def exit_if_orphaned():
    if os.getppid() != _parent:
        os._exit(3)


task.LoopingCall(exit_if_orphaned).start(1.0, now=False)

if __name__ == '__main__':
    sys.argv[0] = 'wstest'
    sys.exit(wstest.run())
