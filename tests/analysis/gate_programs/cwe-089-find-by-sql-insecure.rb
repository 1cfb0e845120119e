class UserController < ApplicationController
  def find_user
    sql = "SELECT * FROM users WHERE user_name = '" + params[:user_name] + "' LIMIT 1"
    user = User.find_by_sql(sql).first
    render json: user
  end
end
