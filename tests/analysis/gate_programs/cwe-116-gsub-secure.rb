def replace_quotes(s)
    s.gsub("'", "''")
end
