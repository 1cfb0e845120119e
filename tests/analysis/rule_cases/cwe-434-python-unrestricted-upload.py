import os

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.route("/upload", methods=["POST"])
def upload():
    f = request.files["file"]
    # ruleid: cwe-434-python-unrestricted-upload
    f.save(os.path.join("/var/uploads", f.filename))
    # ok: cwe-434-python-unrestricted-upload
    f.save(os.path.join("/var/uploads", secure_filename(f.filename)))
    return "saved"
