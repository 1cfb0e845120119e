def replace_quotes(s)
  # replace single quotes with two single quotes
  s.tr("'", "''")
end
