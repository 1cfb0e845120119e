class DownloadsController < ApplicationController
  BASE_DIR = File.expand_path("storage/files", Rails.root)

  def show
    path = File.expand_path(params[:filename], BASE_DIR)
    return head :forbidden unless path.start_with?(BASE_DIR + File::SEPARATOR)
    send_file path, disposition: "attachment"
  end

  def read
    full = File.expand_path(params[:path], BASE_DIR)
    unless full.start_with?("#{BASE_DIR}/")
      raise ActionController::BadRequest, "invalid path"
    end
    render plain: File.read(full)
  end
end
