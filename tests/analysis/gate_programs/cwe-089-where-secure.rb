class UserController < ActionController::Base
    def find_user
        user_name = params[:user_name]
        user = User.where(user_name: user_name).first
        other = User.where("user_name = ?", user_name).first
        render json: user || other
    end
end
