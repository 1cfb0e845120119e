def replace_quotes(s)
  s.gsub(/'/) { "''" }
end

def strip_quotes(s)
  s.tr("'", "")
end
