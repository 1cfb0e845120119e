function showResults(heading, query) {
    // ruleid: cwe-079-javascript-dom-html-from-arguments
    heading.innerHTML = "Search results for: " + query;
    // ok: cwe-079-javascript-dom-html-from-arguments
    heading.textContent = "Search results for: " + query;
    // ok: cwe-079-javascript-dom-html-from-arguments
    heading.innerHTML = "Search results for: " + escapeHtml(query);
}

var onChange = (label) => {
    // ruleid: cwe-079-javascript-dom-html-from-arguments
    jQuery('#fb-success').html(label);
    // ok: cwe-079-javascript-dom-html-from-arguments
    jQuery('#fb-success').text(label);
    // ok: cwe-079-javascript-dom-html-from-arguments
    jQuery('#fb-success').html("Saved");
};

$('#name').on('change', function () {
    var value = $('#name').val();
    // ruleid: cwe-079-javascript-dom-html-from-arguments
    $('#preview').html('<b>' + value + '</b>');
});
