require 'base64'

class SessionsController < ApplicationController
  def restore
    data = Base64.decode64(cookies[:session_data])
    @session = Marshal.load(data)
  end
end
