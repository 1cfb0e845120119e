require 'json'

class UserController < ActionController::Base
  def load_json_str
    json_str = params[:json_str]
    obj = JSON.parse(json_str, create_additions: true)
    render json: obj
  end
end
