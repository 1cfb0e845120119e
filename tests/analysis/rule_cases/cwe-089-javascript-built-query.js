const app = require("express")(),
      pg = require("pg"),
      pool = new pg.Pool(config);

app.get("/query", function handler(req, res) {
    var query = "SELECT ITEM,PRICE FROM PRODUCT WHERE ITEM_CATEGORY='" + req.query.category + "' ORDER BY PRICE";
    // ruleid: cwe-089-javascript-built-query
    pool.query(query, [], function (err, results) {
        processQueryResults(err, results, res);
    });
    // ok: cwe-089-javascript-built-query
    pool.query("SELECT ITEM,PRICE FROM PRODUCT WHERE ITEM_CATEGORY=$1 ORDER BY PRICE", [req.query.category]);
    const id = req.params.id;
    // ruleid: cwe-089-javascript-built-query
    pool.query(`DELETE FROM items WHERE id = ${id}`);
    // ok: cwe-089-javascript-built-query
    pool.query("DELETE FROM items WHERE id = " + "42");
});

function search(connection, term) {
    // ruleid: cwe-089-javascript-built-query
    connection.query('SELECT * FROM Occupation WHERE title LIKE "%' + term + '%";', function (err, rows) {});
    // ok: cwe-089-javascript-built-query
    connection.query('SELECT * FROM Occupation WHERE title LIKE ?', ['%' + term + '%']);
}
