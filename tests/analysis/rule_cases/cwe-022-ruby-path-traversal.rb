class UserController < ActionController::Base
    def read_file
        path = params[:path]
        file_name = File.join("/var/www/files", path)
        # ruleid: cwe-022-ruby-path-traversal
        File.read(file_name)
    end

    def read_file_safely
        path = params[:path]
        file_name = File.basename(path)
        # ok: cwe-022-ruby-path-traversal
        File.read(file_name)
    end

    def read_fixed
        # ok: cwe-022-ruby-path-traversal
        File.read("/etc/motd")
    end

    def download
        # ruleid: cwe-022-ruby-path-traversal
        send_file "/var/www/files/#{params[:name]}"
    end
end
