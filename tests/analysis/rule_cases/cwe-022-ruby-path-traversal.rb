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

    def page
        # ruleid: cwe-022-ruby-path-traversal
        render file: "#{Rails.root}/app/views/pages/#{params[:page]}"
    end

    def checked_download
        path = File.expand_path(params[:name], BASE_DIR)
        return head :forbidden unless path.start_with?(BASE_DIR + File::SEPARATOR)
        # ok: cwe-022-ruby-path-traversal
        send_file path
    end

    def checked_read
        full = File.expand_path(params[:path], BASE_DIR)
        unless full.start_with?("#{BASE_DIR}/")
            raise ArgumentError, "invalid path"
        end
        # ok: cwe-022-ruby-path-traversal
        render plain: File.read(full)
    end

    def guarded_read
        full = File.expand_path(params[:path], BASE_DIR)
        if full.start_with?("#{BASE_DIR}/")
            # ok: cwe-022-ruby-path-traversal
            File.read(full)
        end
        # ok: cwe-022-ruby-path-traversal
        render plain: "ok"
    end
end
