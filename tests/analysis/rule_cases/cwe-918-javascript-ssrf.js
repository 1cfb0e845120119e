const axios = require("axios");

app.get("/proxy", async function (req, res) {
    // ruleid: cwe-918-javascript-ssrf
    const response = await axios.get(req.query.url);
    // ok: cwe-918-javascript-ssrf
    const status = await axios.get("https://api.example.com/status");
    res.send(response.data + status.data);
});
