class Download
  def download(link)
    pid = Process.spawn("wget -q " + link)
    Process.wait(pid)
  end
end
