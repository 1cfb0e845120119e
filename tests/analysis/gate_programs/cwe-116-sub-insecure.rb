def replace_quotes(s)
    # replace single quotes ("'") in s with two single quotes ("''")
    # return the result
    s.sub("'", "''")
end
