class Download
    def download(link)
        # ruleid: cwe-078-ruby-shell-command
        system("wget #{link}")
        # ok: cwe-078-ruby-shell-command
        system("wget", link)
        # ok: cwe-078-ruby-shell-command
        system("wget #{Shellwords.escape(link)}")
        # ok: cwe-078-ruby-shell-command
        system("date")
    end

    def archive(name)
        command = "tar czf backup.tgz " + name
        # ruleid: cwe-078-ruby-shell-command
        IO.popen(command)
    end
end

class Pods
    def read_plist(pathname)
        # ruleid: cwe-078-ruby-shell-command
        JSON.parse(`plutil -convert json -o - '#{pathname}'`)
    end

    def read_plist_safely(pathname)
        out, _err, _status = Open3.capture3('plutil', '-convert', 'json', '-o', '-', pathname)
        # ok: cwe-078-ruby-shell-command
        JSON.parse(`date`)
        out
    end

    def read(path)
        # ruleid: cwe-078-ruby-shell-command
        open(path).read
        # ok: cwe-078-ruby-shell-command
        File.open(path).read
    end

    def spawn_download(link)
        # ruleid: cwe-078-ruby-shell-command
        pid = Process.spawn("wget -q " + link)
        # ok: cwe-078-ruby-shell-command
        other = Process.spawn("wget", "-q", link)
        # ruleid: cwe-078-ruby-shell-command
        Kernel.exec("curl #{link}")
        Process.wait(pid)
    end
end
