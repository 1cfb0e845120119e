from flask import Flask, request
import MySQLdb

app = Flask(__name__)


@app.route('/unsubscribe')
def unsubscribe():
    email = request.args.get('email')
    db = MySQLdb.connect(host="localhost", user="root", passwd="root", db="db")
    cur = db.cursor()
    # ruleid: cwe-089-python-built-query
    cur.execute("SELECT * FROM subscribers WHERE email = '%s'" % email)
    # ok: cwe-089-python-built-query
    cur.execute("SELECT * FROM subscribers WHERE email = %s", (email,))
    query = "DELETE FROM subscribers WHERE email = '" + email + "'"
    # ruleid: cwe-089-python-built-query
    cur.execute(query)
    # ruleid: cwe-089-python-built-query
    cur.execute(f"DELETE FROM subscribers WHERE email = '{email}'")
    # ruleid: cwe-089-python-built-query
    cur.execute("DELETE FROM subscribers WHERE email = '{}'".format(email))
    # ok: cwe-089-python-built-query
    cur.execute("DELETE FROM subscribers WHERE " + "email = %s", [email])
    constant = "SELECT 1"
    # ok: cwe-089-python-built-query
    cur.execute(constant)
    db.commit()


def insert_user_message_in_db(username, message):
    db = MySQLdb.connect()
    cursor = db.cursor()
    sql = "INSERT INTO messages (username, message) VALUES ('%s', '%s')" % (username, message)
    # ruleid: cwe-089-python-built-query
    cursor.execute(sql)
    # ok: cwe-089-python-built-query
    cursor.execute("INSERT INTO messages (username, message) VALUES (%s, %s)", (username, message))
    # ruleid: cwe-089-python-built-query
    cursor.executemany(request.form['statement'], [])
    if username:
        statement = "SELECT * FROM users WHERE name = '" + username + "'"
    else:
        statement = "SELECT * FROM users"
    # ruleid: cwe-089-python-built-query
    cursor.execute(statement)
    statement = "SELECT * FROM users"
    # ok: cwe-089-python-built-query
    cursor.execute(statement)
