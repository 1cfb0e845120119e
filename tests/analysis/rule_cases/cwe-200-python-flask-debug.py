from flask import Flask

app = Flask(__name__)

if __name__ == "__main__":
    # ruleid: cwe-200-python-flask-debug
    app.run(host="0.0.0.0", debug=True)
    # ok: cwe-200-python-flask-debug
    app.run(host="127.0.0.1", debug=False)
