import logging
import traceback

from flask import Flask

app = Flask(__name__)


@app.route("/run")
def run():
    try:
        return do_work()
    except Exception:
        details = traceback.format_exc()
        # ruleid: cwe-200-python-stack-trace-exposure
        return details


@app.route("/run2")
def run2():
    try:
        return do_work()
    except Exception:
        logging.error(traceback.format_exc())
        # ok: cwe-200-python-stack-trace-exposure
        return "internal error", 500


def do_work():
    return "done"
