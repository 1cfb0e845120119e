def shorten(short, query_db):
    # ruleid: cwe-089-python-sql-string-to-call
    matches = query_db("select * from urls where short='%s'" % (short))
    # ok: cwe-089-python-sql-string-to-call
    matches = query_db("select * from urls where short=?", [short])
    return matches


def like(sql, conn, userid, commentid):
    sqlText = "insert into comment_like values(%d,%d);" % (userid, commentid)
    # ruleid: cwe-089-python-sql-string-to-call
    result = sql.insertDB(conn, sqlText)
    # ok: cwe-089-python-sql-string-to-call
    result = sql.insertDB(conn, "insert into comment_like values(%s,%s);", [userid, commentid])
    return result


def scene_date(db, scene, log):
    sql = "select date from matches where scene='{}' order by date desc limit 1;".format(scene)
    # ruleid: cwe-089-python-sql-string-to-call
    res = db.exec(sql)
    # ok: cwe-089-python-sql-string-to-call
    log.info("scene " + scene)
    # ok: cwe-089-python-sql-string-to-call
    print("select date from matches where scene='%s'" % scene)
    return res
