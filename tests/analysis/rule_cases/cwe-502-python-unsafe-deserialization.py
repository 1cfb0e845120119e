import pickle

import yaml
from flask import Flask, request

app = Flask(__name__)


@app.route('/api')
def api():
    yaml_payload = request.args.get('payload', None)
    # ruleid: cwe-502-python-unsafe-deserialization
    data = yaml.load(yaml_payload)
    # ruleid: cwe-502-python-unsafe-deserialization
    data = yaml.load(yaml_payload, Loader=yaml.Loader)
    # ok: cwe-502-python-unsafe-deserialization
    data = yaml.safe_load(yaml_payload)
    # ok: cwe-502-python-unsafe-deserialization
    data = yaml.load(yaml_payload, Loader=yaml.SafeLoader)
    # ruleid: cwe-502-python-unsafe-deserialization
    obj = pickle.loads(request.data)
    return data["name"] + str(obj)
