class ReportsController < ApplicationController
  def index
    rows = ActiveRecord::Base.connection.select_all("SELECT * FROM orders WHERE status = '#{params[:status]}'")
    render json: rows.to_a
  end
end
