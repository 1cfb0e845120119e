var href = "http://example.com";
// ruleid: cwe-200-javascript-target-blank
var link = <a href={href} target="_blank">Example</a>;
// ok: cwe-200-javascript-target-blank
var safe = <a href={href} target="_blank" rel="noopener noreferrer">Example</a>;
// ok: cwe-200-javascript-target-blank
var same = <a href={href}>Example</a>;
// ruleid: cwe-200-javascript-target-blank
var icon = <a target="_blank" href={href} />;
