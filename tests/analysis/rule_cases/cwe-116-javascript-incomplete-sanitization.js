function replaceQuotes(s) {
    // ruleid: cwe-116-javascript-incomplete-sanitization
    return s.replace("'", "''");
}

function replaceQuotesRegex(s) {
    // ruleid: cwe-116-javascript-incomplete-sanitization
    return s.replace(/'/, "''");
}

function replaceAllQuotes(s) {
    // ok: cwe-116-javascript-incomplete-sanitization
    return s.replace(/'/g, "''");
}

function replaceWords(s) {
    // ok: cwe-116-javascript-incomplete-sanitization
    return s.replace("hello", "bye");
}
