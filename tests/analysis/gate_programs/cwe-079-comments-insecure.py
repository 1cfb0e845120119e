from flask import Flask, request

app = Flask(__name__)
comments = []


@app.route("/comments", methods=["GET", "POST"])
def comment_board():
    if request.method == "POST":
        comments.append(request.form.get("comment", ""))
    html = "<h2>Comments</h2><ul>"
    for comment in comments:
        html += "<li>" + comment + "</li>"
    html += "</ul>"
    return html
