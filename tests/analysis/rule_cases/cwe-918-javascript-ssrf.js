const axios = require("axios");

const ALLOWED_HOSTS = new Set(["api.example.com"]);

app.get("/proxy", async function (req, res) {
    // ruleid: cwe-918-javascript-ssrf
    const response = await axios.get(req.query.url);
    // ok: cwe-918-javascript-ssrf
    const status = await axios.get("https://api.example.com/status");
    res.send(response.data + status.data);
});

async function fetchProfile(host, userId) {
    // ruleid: cwe-918-javascript-ssrf
    const response = await fetch(`http://${host}/users/${userId}`);
    return response.json();
}

async function fetchUser(userId) {
    // ok: cwe-918-javascript-ssrf
    const response = await fetch(`https://api.example.com/users/${userId}`);
    return response.json();
}

async function fetchAllowed(userUrl) {
    const host = new URL(userUrl).hostname;
    if (!ALLOWED_HOSTS.has(host)) {
        throw new Error("host not allowed");
    }
    // ok: cwe-918-javascript-ssrf
    return fetch(userUrl);
}

const download = async (userUrl) => {
    // ruleid: cwe-918-javascript-ssrf
    const response = await fetch(userUrl);
    return response.text();
};
