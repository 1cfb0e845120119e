class PagesController < ApplicationController
  def show
    render file: "#{Rails.root}/app/views/pages/#{params[:page]}"
  end
end
