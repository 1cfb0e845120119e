require "shellwords"
require "open3"

class Download
  def download(link)
    system("wget #{Shellwords.escape(link)}")
  end

  def fetch(link)
    stdout, status = Open3.capture2("wget", "-qO-", link)
    status.success? ? stdout : nil
  end
end
