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
