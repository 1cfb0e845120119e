class Download
  def download(link, dest = "/tmp")
    output = `wget -P #{dest} #{link} 2>&1`
    raise "download failed: #{output}" unless $?.success?
    output
  end
end
