class GreetingsController < ApplicationController
  def show
    render inline: "<h1>Hello #{params[:name]}</h1>"
  end
end
