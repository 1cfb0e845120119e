class UserController < ActionController::Base
    def read_file
        path = params[:path]
        file_name = File.join(File.dirname(__FILE__), File.basename(path))
        render plain: File.read(file_name)
    end
end
