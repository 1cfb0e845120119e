class UserController < ActionController::Base
    # read the requested file
    # assuming that the file is under the same directory
    def read_file
        path = params[:path]
        file_name = File.join(File.dirname(__FILE__), path)
        render plain: File.read(file_name)
    end
end
