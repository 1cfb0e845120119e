function addEvent(obj, event, key, val) {
    let query = "INSERT INTO tb_events (uid, key, value) VALUES ('" + event.uid + "', '" + key + "', '" + val + "');";
    // ruleid: cwe-089-javascript-sql-string-to-call
    obj.db.run(query);
    // ok: cwe-089-javascript-sql-string-to-call
    obj.db.run("INSERT INTO tb_events (uid, key, value) VALUES (?, ?, ?);", [event.uid, key, val]);
}

function getNote(db, data, callback) {
    // ruleid: cwe-089-javascript-sql-string-to-call
    db.get("SELECT id,note FROM notes WHERE id = '" + data.id + "'", callback);
    // ok: cwe-089-javascript-sql-string-to-call
    db.get("SELECT id,note FROM notes WHERE id = ?", [data.id], callback);
    // ok: cwe-089-javascript-sql-string-to-call
    console.log("SELECT id,note FROM notes WHERE id = " + data.id);
}
