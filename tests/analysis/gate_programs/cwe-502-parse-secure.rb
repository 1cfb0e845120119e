require 'json'

class UserController < ActionController::Base
  def load_json_str
    json_str = params[:json_str]
    obj = JSON.parse(json_str, symbolize_names: true)
    other = JSON.parse(json_str, create_additions: false)
    render json: [obj, other]
  end
end
