def replace_quotes(s)
  result = s.dup
  result.sub!(/'/, "''")
  result
end
