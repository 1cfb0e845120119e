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

def translate_quotes(s)
    # ruleid: cwe-116-ruby-incomplete-sanitization
    s.tr("'", "''")
end

def drop_quotes(s)
    # ok: cwe-116-ruby-incomplete-sanitization
    s.tr("'", "")
end

def swap_quotes(s)
    # ok: cwe-116-ruby-incomplete-sanitization
    s.tr("'", '"')
end
