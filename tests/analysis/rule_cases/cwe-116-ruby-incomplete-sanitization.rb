def replace_quotes(s)
    # ruleid: cwe-116-ruby-incomplete-sanitization
    s.sub("'", "''")
end

def replace_all_quotes(s)
    # ok: cwe-116-ruby-incomplete-sanitization
    s.gsub("'", "''")
end

def replace_word(s)
    # ok: cwe-116-ruby-incomplete-sanitization
    s.sub("hello", "bye")
end
