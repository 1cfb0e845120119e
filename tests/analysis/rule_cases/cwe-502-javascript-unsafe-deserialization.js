const serialize = require("node-serialize");

app.post("/profile", function (req, res) {
    // ruleid: cwe-502-javascript-unsafe-deserialization
    const profile = serialize.unserialize(req.body.profile);
    // ok: cwe-502-javascript-unsafe-deserialization
    const settings = JSON.parse(req.body.settings);
    res.send(profile.name + settings.theme);
});
