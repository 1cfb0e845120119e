module UsersHelper
  def greeting(user)
    content_tag(:p, "Welcome back, #{user}!")
  end
end

class GreetingsController < ApplicationController
  def show
    render html: "<h1>Hello #{params[:name]}</h1>"
  end
end
