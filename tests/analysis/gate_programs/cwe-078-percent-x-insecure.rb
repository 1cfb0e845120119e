class Download
  def download(link)
    result = %x(wget --no-verbose #{link})
    puts result
  end
end
