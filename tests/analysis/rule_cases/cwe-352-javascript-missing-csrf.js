var cookieParser = require('cookie-parser');
var csrf = require('csurf');
var bodyParser = require('body-parser');
var express = require('express');

var csrfProtection = csrf({ cookie: true });
var parseForm = bodyParser.urlencoded({ extended: false });

var app = express();
app.use(cookieParser());

// ruleid: cwe-352-javascript-missing-csrf
app.post('/read', function (req, res) {
    res.send(req.cookies["email"]);
});

// ok: cwe-352-javascript-missing-csrf
app.post('/read2', parseForm, csrfProtection, function (req, res) {
    res.send(req.cookies["email"]);
});

// ruleid: cwe-352-javascript-missing-csrf
app.post('/read3', parseForm, function (req, res) {
    res.send(req.cookies["email"]);
});

// ok: cwe-352-javascript-missing-csrf
app.get('/read4', function (req, res) {
    res.send(req.cookies["email"]);
});
