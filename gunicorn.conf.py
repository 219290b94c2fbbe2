"""gunicorn's settings for `make serve` (gunicorn reads this file from the working directory).

Each can be changed from the environment: HOST, PORT, WEB_CONCURRENCY (worker
processes), GUNICORN_THREADS (threads per worker), LOG_LEVEL (as Django's),
GUNICORN_ACCESS_LOG (a file; "-", the default, is standard output; empty: none).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
wsgi_app = "taskadmin.wsgi:application"
# A request that takes this long is stuck; the worker is replaced.
timeout = 30
graceful_timeout = 20
# Recycle workers now and then so a slow leak cannot grow for ever.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# gunicorn's usual line, then the request id Django sent back (X-Request-ID),
# which its log lines about the same request carry.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)
# gunicorn's own messages on standard error, where Django's log lines go too.
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Trust X-Forwarded-* only from a proxy on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn 24+ opens a control socket in $HOME by default: one per user, so two
# servers on one machine would fight over it. Nothing here uses it.
control_socket_disable = True
