class DownloadsController < ApplicationController
  def show
    send_file Rails.root.join("storage", "files", params[:filename]), disposition: "attachment"
  end
end
